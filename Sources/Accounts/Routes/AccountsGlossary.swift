/// What the account, session and project properties mean (the OpenAPI document's descriptions).
enum AccountsGlossary {
    static let terms: [String: String] = [
        "password": "the account's password: 12-128 characters, not a common one (README: Accounts)",
        "current_password": "the password the account has now",
        "new_password": "the password to set (the same rules as at registration)",
        "access_token": "a JWT for Authorization: Bearer (15 minutes by default)",
        "token_type": "always Bearer",
        "expires_in": "seconds until the access token expires",
        "refresh_token": "a one-use token for POST /api/v1/auth/refresh (7 days by default); keep it secret",
        "refresh_expires_in": "seconds until the refresh token expires",
        "user": "the account",
        "is_active": "false once an administrator deactivated the account (it can no longer log in)",
        "active": "true to reactivate the account, false to deactivate it (its sessions end at once)",
        "last_login_at": "when the account last logged in; null if never",
        "done": "true: the action was taken",
        "owner_id": "the account that owns the project",
        "settings": "the project's own settings, a JSON object",
        "user_id": "an account's id",
        "user_email": "an account's email, instead of user_id",
        "removed": "true: the member was removed",
    ]

    static let examples: [String: String] = [
        "password": "\"a long passphrase of mine\"",
        "current_password": "\"a long passphrase of mine\"",
        "new_password": "\"another long passphrase\"",
        "user_email": "\"colleague@example.com\"",
    ]
}
