"""One function per state-machine step: adapters in, plain models out. Handlers and the CLI call
these; the rules themselves live in the pure domain modules.

A module per stage, and nothing imported here: a Lambda handler imports only its own stage's
models and rules, which keeps every function's cold start close to `import boto3` (bench/coldstart.py).
"""
