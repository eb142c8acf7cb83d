"""The account's data export (GET /auth/user/export/, the web app's Settings): it reads every domain."""
