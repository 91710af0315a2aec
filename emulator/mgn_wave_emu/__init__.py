"""AWS emulated on one machine: moto in process, Lambda routing, an MGN emulator, a virtual clock.

Not part of the Lambda build. It adapts existing engines (moto, botocore's models); it is not a
second implementation of AWS.
"""
