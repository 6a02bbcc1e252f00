"""Demonstration and development scaffolding: `manage.py seed_demo`, the local
FranceConnect sandbox (`python -m demo.sandbox`) and the demo online service
(`demo.rp`, served at /demo-service/).

Production does not install this app (config/settings.py: only with DEBUG or
RELAIS_DEMO=1). It may import every app; no app imports it
(tests/test_architecture.py).
"""
