"""Stand-ins for outside services that speak their real wire protocols, served on 127.0.0.1."""
