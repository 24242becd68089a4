"""Sign-in pages and the token API."""
