"""msgsvc doctor: will this service deliver? Every known reason it will not, read-only.

    finding      a Finding (severity, service, check id, evidence, fix, source) and the
                 table of checks (CHECKS): the one home of each check's id, severity and page
    destination  the two checks that decide whether a message to a US number can leave at
                 all (30034: US long codes without a verified campaign; 30032: toll-free
                 numbers without an approved verification), and destination_findings(), which
                 reads what they need for one service (the send command asks it)
    checks       every other check, pure functions over what was read
    read         reading the account for the checks: one account-wide listing per resource,
                 the per-service listings concurrently
"""
