"""Running a wave: its input and models (`models`), resolving its servers (`flow`), every server's
result once and the totals (`summary`), the report (`report`), and the tag trigger's rules
(`tag_trigger`: which server joined which wave)."""
