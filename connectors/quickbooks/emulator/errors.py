"""QBO fault bodies, raised as exceptions inside the emulator and rendered by the app.

Every error the emulator answers has the documented envelope
`{"Fault": {"Error": [{"Message", "Detail", "code", "element"}], "type"}, "time"}` with the
documented HTTP status, so the connector's classification table is exercised against the
same shapes it meets in production. Codes here are the ones the API reference lists.
"""

from __future__ import annotations

from typing import Any


class QboFault(Exception):
    """One QBO fault: HTTP status, fault type and the vendor's own error code."""

    def __init__(self, status: int, code: str, message: str, detail: str = "", *,
                 fault_type: str = "ValidationFault", element: str = ""):
        super().__init__(f"{code} {message}: {detail}")
        self.status, self.code, self.message = status, code, message
        self.detail, self.fault_type, self.element = detail or message, fault_type, element

    def fault(self) -> dict[str, Any]:
        """The `Fault` object (also what a batch item carries)."""
        error = {"Message": self.message, "Detail": self.detail, "code": self.code,
                 "element": self.element}
        return {"Error": [error], "type": self.fault_type}


def stale_object(entity: str) -> QboFault:
    return QboFault(400, "5010", "Stale Object Error",
                    f"Stale Object Error : You and root were working on this at the same time. "
                    f"root finished before you did, so your work was not saved. ({entity})")


def duplicate_name(detail: str) -> QboFault:
    return QboFault(400, "6240", "Duplicate Name Exists Error",
                    f"The name supplied already exists. : {detail}")


def duplicate_doc_number(doc_number: str) -> QboFault:
    return QboFault(400, "6140", "Duplicate Document Number Error",
                    f"Duplicate Document Number Error : You must specify a different number. "
                    f"This number has already been used. DocNumber={doc_number}")


def object_not_found(entity: str, record_id: str, element: str = "") -> QboFault:
    return QboFault(400, "610", "Object Not Found",
                    f"Object Not Found : Something you're trying to use has been made "
                    f"inactive. Check the fields with accounts, customers, items, vendors "
                    f"or employees. ({entity} {record_id})", element=element)


def length_out_of_range(element: str, limit: int) -> QboFault:
    return QboFault(400, "2050", "String length is either shorter or longer than supported "
                    "by specification", f"String length specified does not match the "
                    f"supported length. Min:0 Max:{limit} supported. Element: {element}",
                    element=element)


def required_missing(element: str) -> QboFault:
    return QboFault(400, "2020", "Required param missing, need to supply the required value "
                    "for the API", f"Required parameter {element} is missing in the request",
                    element=element)


def invalid_property(element: str, why: str = "is unsupported or invalid") -> QboFault:
    return QboFault(400, "2010", "Request has invalid or unsupported property",
                    f"Property Name:{element} {why}", element=element)


def business_rule(detail: str, element: str = "") -> QboFault:
    return QboFault(400, "6000", "A business validation error has occurred while processing "
                    "your request", f"Business Validation Error: {detail}", element=element)


def unsupported(detail: str) -> QboFault:
    return QboFault(400, "500", "Unsupported Operation", detail)


def query_parser_error(detail: str) -> QboFault:
    return QboFault(400, "4000", "Error parsing query", f"QueryParserError: {detail}")


def query_validation_error(detail: str) -> QboFault:
    return QboFault(400, "4001", "Invalid query", f"QueryValidationError: {detail}")


def authentication_failed(detail: str) -> QboFault:
    return QboFault(401, "3200", "message=AuthenticationFailed; errorCode=003200; "
                    "statusCode=401", detail, fault_type="AUTHENTICATION")


def authorization_failed(detail: str) -> QboFault:
    return QboFault(401, "120", "Authorization Failure", detail,
                    fault_type="AuthorizationFault")


def throttled() -> QboFault:
    return QboFault(429, "3001", "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                    "The request limit was reached.", fault_type="ThrottlingFault")


def system_fault(status: int = 500) -> QboFault:
    return QboFault(status, "10000", "An application error has occurred while processing "
                    "your request", "System Failure Error: An unexpected error occurred "
                    "while accessing or saving your data. Please wait a few minutes and try "
                    "again.", fault_type="SystemFault")


def not_found_route(path: str) -> QboFault:
    return QboFault(404, "610", "Object Not Found", f"Unknown resource: {path}")
