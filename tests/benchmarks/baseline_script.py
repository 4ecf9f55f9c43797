"""What a user would otherwise write: a plain sequential script, the yardstick of the benchmarks.

    python baseline_script.py QBO_URL REALM QBO_TOKEN STRIPE_URL STRIPE_KEY

Read QuickBooks customers a page at a time and create each one in Stripe; then read the
invoices and create each Stripe invoice with its items and finalize it. One request at a
time, one keep-alive connection per API, no state kept between runs (so a second run would
create everything again), no matching, no retries. It prints one JSON line: elapsed and CPU
seconds, the records made and the peak RSS.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from decimal import Decimal
from typing import Any

import httpx
from sync_child import peak_rss

PAGE = 1000


def qbo_pages(qbo: httpx.Client, entity: str) -> Any:
    start = 1
    while True:
        statement = f"SELECT * FROM {entity} STARTPOSITION {start} MAXRESULTS {PAGE}"
        reply = qbo.post("/query", content=statement, params={"minorversion": "75"},
                         headers={"Content-Type": "application/text"})
        reply.raise_for_status()
        rows = reply.json()["QueryResponse"].get(entity, [])
        yield rows
        if len(rows) < PAGE:
            return
        start += PAGE


def post(stripe: httpx.Client, path: str, data: dict[str, Any]) -> dict[str, Any]:
    reply = stripe.post(path, data=data)
    reply.raise_for_status()
    return reply.json()


def copy_customers(qbo: httpx.Client, stripe: httpx.Client) -> dict[str, str]:
    made: dict[str, str] = {}
    for rows in qbo_pages(qbo, "Customer"):
        for row in rows:
            data = {"name": row["DisplayName"], "metadata[qbo_customer_id]": row["Id"]}
            if row.get("PrimaryEmailAddr"):
                data["email"] = row["PrimaryEmailAddr"]["Address"]
            made[row["Id"]] = post(stripe, "/v1/customers", data)["id"]
    return made


def copy_invoices(qbo: httpx.Client, stripe: httpx.Client, customers: dict[str, str]) -> int:
    count = 0
    for rows in qbo_pages(qbo, "Invoice"):
        for row in rows:
            customer = customers[row["CustomerRef"]["value"]]
            due = int(time.mktime(time.strptime(row["DueDate"], "%Y-%m-%d")))
            invoice = post(stripe, "/v1/invoices", {
                "customer": customer, "collection_method": "send_invoice", "due_date": due,
                "metadata[qbo_invoice_id]": row["Id"]})
            for line in row["Line"]:
                if line["DetailType"] == "SalesItemLineDetail":
                    cents = int(Decimal(str(line["Amount"])) * 100)
                    post(stripe, "/v1/invoiceitems", {
                        "customer": customer, "invoice": invoice["id"], "amount": cents,
                        "currency": "usd", "description": line.get("Description", "")})
            post(stripe, f"/v1/invoices/{invoice['id']}/finalize", {})
            count += 1
    return count


def main(qbo_url: str, realm: str, token: str, stripe_url: str, key: str) -> None:
    qbo = httpx.Client(base_url=f"{qbo_url}/v3/company/{realm}", timeout=60,
                       headers={"Authorization": f"Bearer {token}",
                                "Accept": "application/json"})
    stripe = httpx.Client(base_url=stripe_url, auth=(key, ""), timeout=60)
    started = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    customers = copy_customers(qbo, stripe)
    invoices = copy_invoices(qbo, stripe, customers)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    sys.stdout.write(json.dumps({"elapsed": time.perf_counter() - started, "cpu": cpu,
                                 "customers": len(customers), "invoices": invoices,
                                 "peak_rss": peak_rss()}) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:6])
