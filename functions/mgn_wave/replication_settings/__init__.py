"""Enforcing the replication settings the private path needs: the rules (`rules`: which template,
what drifted, whether it is safe to write), the policy and drift models (`models`), and the flow
the handlers run (`flow`: the template, then every server of the wave)."""
