"""One cog per concern: facilitation, answering, examples, server configuration."""
