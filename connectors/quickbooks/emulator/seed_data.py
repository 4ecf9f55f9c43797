"""The sample company's content: plain data, so it reads like a fixture.

Names are chosen to break careless code: quotes and apostrophes (query escaping),
backslashes, percent signs (LIKE patterns), commas, accents and non-Latin scripts, and a
very long name. One customer bills in JPY (a zero-decimal currency).
"""

from __future__ import annotations

from decimal import Decimal

LONG_NAME = ("The Extraordinarily Long-Named Northern Hemisphere Consolidated Widget, Gadget "
             "and Sprocket Manufacturing Cooperative of Greater Springfield")

CUSTOMERS: list[dict[str, object]] = [
    {"DisplayName": "Amy's Bird Sanctuary", "GivenName": "Amy", "FamilyName": "Lauterbach",
     "email": "birds@intuit.example", "city": ("Bayshore", "CA", "94326")},
    {"DisplayName": "O'Brien Plumbing", "CompanyName": "O'Brien Plumbing Ltd",
     "GivenName": "Siobhan", "FamilyName": "O'Brien", "email": "ap@obrien.example",
     "city": ("Boston", "MA", "02110")},
    {"DisplayName": "Zoë Café & Bäckerei", "GivenName": "Zoë", "FamilyName": "Schäfer",
     "email": "zoe@cafe.example", "city": ("Berlin", "BE", "10115"), "country": "DEU"},
    {"DisplayName": "100% Organic Farms", "email": "orders@organic.example",
     "city": ("Fresno", "CA", "93650")},
    {"DisplayName": "Smith, Jones & Associates", "CompanyName": "Smith, Jones & Associates LLP",
     "email": "billing@sja.example", "city": ("Chicago", "IL", "60601")},
    {"DisplayName": "The \"Best\" Bakery", "email": "hello@bestbakery.example",
     "city": ("Portland", "OR", "97201")},
    {"DisplayName": "Back\\Slash Ltd", "email": "it@backslash.example",
     "city": ("Austin", "TX", "73301")},
    {"DisplayName": "株式会社サクラ (Sakura KK)", "CompanyName": "株式会社サクラ",
     "email": "keiri@sakura.example", "city": ("Tokyo", "13", "100-0001"),
     "country": "JPN", "currency": "JPY"},
    {"DisplayName": LONG_NAME, "CompanyName": "Northern Widget Cooperative",
     "email": "ap@widgetcoop.example", "city": ("Springfield", "IL", "62701")},
    {"DisplayName": "Dana O'Neil-Ramírez", "GivenName": "Dana", "FamilyName": "O'Neil-Ramírez",
     "email": "dana@oneil.example", "city": ("Santa Fe", "NM", "87501")},
    {"DisplayName": "José's Taquería", "email": "jose@taqueria.example",
     "city": ("San Antonio", "TX", "78205")},
    {"DisplayName": "Ørsted Consulting ApS", "email": "finance@orsted.example",
     "city": ("København", "84", "1050"), "country": "DNK"},
    {"DisplayName": "Nguyễn Văn An", "GivenName": "An", "FamilyName": "Nguyễn",
     "email": "an@nguyen.example", "city": ("San Jose", "CA", "95113")},
    {"DisplayName": "Łukasz Wiśniewski", "GivenName": "Łukasz", "FamilyName": "Wiśniewski",
     "city": ("Kraków", "12", "30-001"), "country": "POL"},
    {"DisplayName": "Acme Widgets Ltd", "CompanyName": "Acme Widgets Ltd", "GivenName": "Jane",
     "FamilyName": "Doe", "email": "ap@acme.example", "city": ("San Francisco", "CA", "94105")},
    {"DisplayName": "Bill's Windsurf Shop", "email": "surf@intuit.example",
     "city": ("Half Moon Bay", "CA", "94213")},
    {"DisplayName": "Cool Cars", "GivenName": "Grace", "FamilyName": "Pariente",
     "email": "cool_cars@intuit.example", "city": ("Half Moon Bay", "CA", "94213")},
    {"DisplayName": "Diego Rodriguez", "GivenName": "Diego", "FamilyName": "Rodriguez",
     "email": "diego@rodriguez.example", "city": ("Middlefield", "CA", "94303")},
    {"DisplayName": "Dukes Basketball Camp", "email": "dukes@intuit.example",
     "city": ("Tucson", "AZ", "85719")},
    {"DisplayName": "Freeman Sporting Goods", "email": "sporting@intuit.example",
     "city": ("Sunnyvale", "CA", "94086")},
    {"DisplayName": "Geeta Kalapatapu", "GivenName": "Geeta", "FamilyName": "Kalapatapu",
     "email": "geeta@kalapatapu.example", "city": ("Middlefield", "CA", "94303")},
    {"DisplayName": "Jeff's Jalopies", "email": "jalopies@intuit.example",
     "city": ("Bayshore", "CA", "94326")},
    {"DisplayName": "Kate Whelan", "GivenName": "Kate", "FamilyName": "Whelan",
     "email": "kate@whelan.example", "city": ("Sunnyvale", "CA", "94087")},
    {"DisplayName": "Mark Cho", "GivenName": "Mark", "FamilyName": "Cho",
     "email": "mark@cho.example", "city": ("Middlefield", "CA", "94303")},
    {"DisplayName": "Paulsen Medical Supplies", "email": "medical@intuit.example",
     "city": ("Middlefield", "CA", "94304")},
    {"DisplayName": "Red Rock Diner", "email": "qbwebsamplecompany@yahoo.example",
     "city": ("Bayshore", "CA", "94326")},
    {"DisplayName": "Renée Dubois Studio", "GivenName": "Renée", "FamilyName": "Dubois",
     "email": "renee@studio.example", "city": ("Montréal", "QC", "H2X 1Y4"), "country": "CAN"},
    {"DisplayName": "Sushi by Katsuyuki", "email": "sushi@intuit.example",
     "city": ("Palo Alto", "CA", "94303")},
    {"DisplayName": "Weiskopf Consulting", "email": "consult@intuit.example",
     "city": ("Bayshore", "CA", "94326")},
    {"DisplayName": "Wedding Planning by Whitney", "email": "whitney@intuit.example",
     "city": ("Palo Alto", "CA", "94303")},
]

ACCOUNTS: list[dict[str, str]] = [
    {"Name": "Stripe Clearing", "AccountType": "Bank", "AccountSubType": "CashOnHand"},
    {"Name": "Sales of Product Income", "AccountType": "Income",
     "AccountSubType": "SalesOfProductIncome"},
    {"Name": "Refunds Given", "AccountType": "Income", "AccountSubType": "DiscountsRefundsGiven"},
    {"Name": "Payment Processing Fees", "AccountType": "Expense",
     "AccountSubType": "BankCharges"},
    {"Name": "Dispute Losses", "AccountType": "Expense",
     "AccountSubType": "OtherMiscellaneousServiceCost"},
    {"Name": "Savings", "AccountType": "Bank", "AccountSubType": "Savings"},
]

ITEMS: list[tuple[str, str, Decimal]] = [
    ("Hours", "Service", Decimal("75.00")),
    ("Design", "Service", Decimal("120.00")),
    ("Installation", "Service", Decimal("50.00")),
    ("Gardening", "NonInventory", Decimal("25.00")),
    ("Rocks", "NonInventory", Decimal("12.50")),
    ("Pest Control", "Service", Decimal("35.00")),
    ("Maintenance & Repair", "Service", Decimal("60.00")),
    ("Sprinkler Heads", "NonInventory", Decimal("2.75")),
]

# (customer DisplayName, TxnDate, [(item, qty, unit price)], extras)
INVOICES: list[tuple[str, str, list[tuple[str, str, str]], dict[str, object]]] = [
    ("Acme Widgets Ltd", "2026-06-01", [("Hours", "3", "50.00")], {}),
    ("O'Brien Plumbing", "2026-06-02",
     [("Installation", "4", "50.00"), ("Sprinkler Heads", "20", "2.75")],
     {"tax": "21.10"}),
    ("Zoë Café & Bäckerei", "2026-06-03",
     [("Design", "2", "120.00"), ("Hours", "1.5", "75.00")], {"discount_percent": "10"}),
    ("100% Organic Farms", "2026-06-04",
     [("Gardening", "8", "25.00"), ("Rocks", "30", "12.50"), ("Pest Control", "1", "35.00")],
     {"discount_amount": "25.00", "tax": "48.40"}),
    ("株式会社サクラ (Sakura KK)", "2026-06-05",
     [("Design", "3", "18000"), ("Hours", "5", "11000")], {}),
    ("Smith, Jones & Associates", "2026-06-06",
     [("Hours", "12", "75.00"), ("Maintenance & Repair", "2", "60.00")], {"paid": "full"}),
    ("The \"Best\" Bakery", "2026-06-07", [("Pest Control", "2", "35.00")], {"paid": "40.00"}),
    ("Back\\Slash Ltd", "2026-06-08",
     [("Installation", "1", "50.00"), ("Hours", "0.25", "75.00")], {}),
    ("Dana O'Neil-Ramírez", "2026-06-09", [("Design", "1", "120.00")],
     {"memo": "Thanks for your business!"}),
    ("Nguyễn Văn An", "2026-06-10",
     [("Gardening", "3", "25.00"), ("Sprinkler Heads", "7", "2.75")], {"tax": "7.52"}),
    ("Amy's Bird Sanctuary", "2026-06-11",
     [("Hours", "2", "75.00"), ("Rocks", "4", "12.50"), ("Pest Control", "1", "35.00")],
     {"discount_percent": "5"}),
    ("Kate Whelan", "2026-06-12", [("Maintenance & Repair", "1", "60.00")], {}),
]
