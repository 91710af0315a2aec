"""Installing the AWS Replication Agent: what the SSM document is sent (`parameters`), what the
node answers (`node_result`), the install rules (`rules`: which servers MGN already knows, the
quota, each node's outcome), the job's models (`models`) and the flow the handlers run (`flow`:
probe, then install through Run Command, then each node's verdict)."""
