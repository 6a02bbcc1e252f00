"""Relais at national scale: `load` fills an empty PostgreSQL database (SQL and
COPY), `report` times every page and endpoint on it. See docs/performance.md,
section "At scale"."""
