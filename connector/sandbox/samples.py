"""Sample help-desk requests for seeding a sandbox: what a REDCap support desk receives."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SampleRequest:
    """One request as a customer writes it: subject, body and who sent it."""

    summary: str
    description: str
    customer: str  # the customer's name; the address is derived from it

    def email(self, domain: str = "uni.example.edu") -> str:
        return f"{self.customer.lower().replace(' ', '.')}@{domain}"


SAMPLE_REQUESTS: tuple[SampleRequest, ...] = (
    SampleRequest("Locked out of REDCap after password reset",
                  "I reset my password this morning and now the login page says my account "
                  "is locked. I have a data entry deadline on Friday.", "Pat Doe"),
    SampleRequest("Data export to CSV times out",
                  "Exporting the full data set of project 4711 as CSV stops after about two "
                  "minutes with a gateway timeout. Smaller reports work.", "Lee Chen"),
    SampleRequest("New project request for a cohort study",
                  "We are starting a cohort study in March and need a new REDCap project with "
                  "longitudinal events and survey distribution.", "Anna Schmidt"),
    SampleRequest("Add two research coordinators to my project",
                  "Please give Maria Lopez and Sam Okafor data entry rights on the "
                  "Cardiology Registry project.", "Jordan Miles"),
    SampleRequest("Survey invitations not being delivered",
                  "Participants say they never got yesterday's follow-up survey invitation. "
                  "The invitation log shows them as sent.", "Priya Nair"),
    SampleRequest("Branching logic hides a required field",
                  "On the baseline form the consent date stays hidden even when consent is "
                  "yes, so the record cannot be marked complete.", "Tom Becker"),
    SampleRequest("Request for API token",
                  "Our analysis pipeline needs read-only API access to project 5120. Who "
                  "approves API tokens?", "Grace Kim"),
    SampleRequest("Move project to production",
                  "The pilot is finished and the IRB amendment is approved; please move the "
                  "Sleep Study project to production status.", "Omar Haddad"),
    SampleRequest("Two-factor authentication codes not arriving",
                  "I have not received a two-factor code by SMS since I changed phones last "
                  "week.", "Helen Park"),
    SampleRequest("File upload field rejects PDF documents",
                  "Uploading a signed consent PDF of 3 MB fails with 'file type not allowed' "
                  "on the enrollment form.", "Luis Romero"),
    SampleRequest("Calculated field shows wrong BMI",
                  "The BMI calculation gives values around 0.002; I think the height unit is "
                  "off but I cannot edit the equation.", "Fatima Zahra"),
    SampleRequest("Randomization module setup",
                  "We need stratified block randomization by site and sex for a two-arm "
                  "trial starting next month.", "Ben Adler"),
    SampleRequest("Duplicate records after data import",
                  "Yesterday's import created a second copy of about 40 records instead of "
                  "updating them.", "Chloe Martin"),
    SampleRequest("Report filter on date field returns nothing",
                  "A report filtered on visit date after 2026-01-01 comes back empty though "
                  "there are visits in February.", "Ivan Petrov"),
    SampleRequest("Please delete a test project",
                  "The project 'Test - do not use' can be deleted; nobody has entered real "
                  "data.", "Nora Lindqvist"),
    SampleRequest("Alerts and notifications send twice",
                  "Every alert on the adverse events form arrives twice in the PI's inbox.",
                  "Kwame Mensah"),
)


def sample(index: int) -> SampleRequest:
    """The `index`-th sample request, cycling through the list."""
    return SAMPLE_REQUESTS[index % len(SAMPLE_REQUESTS)]
