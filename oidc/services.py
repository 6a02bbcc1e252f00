def revoke_session_tokens(*, aidant, session_key):  # placeholder, replaced below
    return 0
