"""The columns of each CSV import, in docs/import.md's order: plain data, so that scripts (bench/import.py)
write files the import reads without setting Django up."""

COLUMNS = {
    "teams": ("service", "team_code", "team_name", "locality"),
    "staff": (
        "username",
        "name",
        "email",
        "phone",
        "job_title",
        "social_work_england_number",
        "social_work_england_expires",
        "role",
        "team",
        "service",
        "start",
    ),
    "caseload": (
        "identifier",
        "first_name",
        "last_name",
        "date_of_birth",
        "expected_date_of_birth",
        "gender",
        "ethnicity",
        "disability",
        "asylum_status",
        "locality",
        "family",
        "team",
        "worker",
        "allocation_start",
        "legal_status",
        "plan",
    ),
}
