"""The facilities' forms and answers over HTTP (OpenAPI models)."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.intake.facilities.rules import Kind

Text = Annotated[str, Field(min_length=2, max_length=200)]


class FacilityForm(BaseModel):
    name_ar: Text
    name_en: Text
    kind: Kind
    licence_number: Annotated[str, Field(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]


class Names(BaseModel):
    ar: str
    en: str


class FacilityView(BaseModel):
    facility_id: str
    name: Names
    kind: Kind
    licence_number: str
    created_at: str


class StaffForm(BaseModel):
    """A facility staff user (role `facility`): signs in at POST /v1/auth/login."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "first_name": "Amal",
                    "last_name": "Al-Harbi",
                    "id_number": "1047193584",
                    "email": "amal.alharbi@kfh.example.sa",
                    "password": "Roster#2026-desk",
                    "locale": "ar",
                }
            ]
        }
    )

    first_name: Annotated[str, Field(min_length=1, max_length=60)]
    last_name: Annotated[str, Field(min_length=1, max_length=60)]
    id_number: Annotated[str, Field(min_length=10, max_length=10)]
    email: Annotated[str, Field(min_length=3, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=128)]
    locale: Literal["ar", "en"] = "ar"


class StaffCreated(BaseModel):
    account_id: str
    facility_id: str
    role: Literal["facility"] = "facility"


class RosterAddition(BaseModel):
    registration_number: Annotated[str, Field(min_length=1, max_length=40)]
    employee_number: Annotated[str | None, Field(max_length=40)] = None


class RosterEntryView(BaseModel):
    """A practitioner on the roster and the registration's status today (`unknown`: the registry
    has no registration with the number any more)."""

    registration_number: str
    employee_number: str | None
    added_at: str
    name: str | None
    name_ar: str | None = Field(description="The practitioner's name in Arabic letters, if her account has one.")
    name_latin: str | None = Field(description="Her name in Latin letters, if her account has one.")
    profession: str | None
    classification: str | None
    status: str
    expires_on: str | None
    days_left: int | None
    flags: list[str] = Field(
        description="What the facility is warned of: suspended, lapsed, expiring (renewal open or in grace), unknown."
    )


class RosterPage(BaseModel):
    facility_id: str
    items: list[RosterEntryView]
    next_after: str | None = Field(description="Pass as `after` for the next page; null on the last one.")


class RosterSummary(BaseModel):
    facility_id: str
    practitioners: int
    by_status: dict[str, int]
    as_of: str


class RowRefusalView(BaseModel):
    line: int = Field(description="The line of the file, counted from 1 (the header is line 1).")
    code: str = Field(
        description="A stable code: roster.row_unreadable, roster.number_missing, roster.number_invalid, "
        "roster.unknown_registration, roster.duplicate_row, roster.employee_number_invalid."
    )
    value: str | None = None


class UploadReportView(BaseModel):
    upload_id: str
    lines: int
    accepted: int
    added: int
    already_on_roster: int
    refused_count: int
    refused: list[RowRefusalView]
    repeated: bool = Field(description="True when this facility uploaded the very same file before: nothing changed.")
    uploaded_at: str | None
