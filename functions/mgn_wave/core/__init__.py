"""What every room shares, small on purpose: configuration from the environment (`config`), the
typed errors the state machine matches (`errors`), Region, ID and ARN forms (`ids`), MGN's
vocabulary and limits (`mgn`), MGN's source-server record (`source_server`), the per-server result
(`server_result`), pydantic errors as typed errors (`validation`), logging and tracing
(`observability`) and the clock (`timeutil`). Nothing is imported here."""
