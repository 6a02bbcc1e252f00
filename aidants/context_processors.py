def relais(request):
    """Header data: the current structure of a logged-in aidant (no extra query:
    the structure is loaded with the user by select_related in the auth backend)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"current_structure": user.current_structure}
