"""Authentication and authorization: JWTs, the middleware, guards and the OAuth2 server."""
