"""The fields of each QBO entity, so a pipeline's field names are checked when it loads.

From the Accounting API's entity reference (every property QBO documents for the entities
this connector reads and writes, read-only ones included, since a read returns them and a
write that sends one back is accepted) and the emulator's data model, which adds what QBO
computes (`Balance`, `FullyQualifiedName`, `LineEx`...). The same fields are read and
written: QBO takes an object back as it returned it.

Open on purpose: `LineEx` (an undocumented blob QBO adds to payment lines) and the items of
`CustomField` (custom field definitions vary by company and API version).
"""

from __future__ import annotations

from ml_connector.engine import OPEN, Fields, ListOf

REF = Fields.of("value", "name", "type")
ADDRESS = Fields.of("Id", "Line1", "Line2", "Line3", "Line4", "Line5", "City", "Country",
                    "CountryCode", "County", "CountrySubDivisionCode", "PostalCode",
                    "PostalCodeSuffix", "Lat", "Long", "Tag", "Note")
EMAIL = Fields.of("Address")
PHONE = Fields.of("FreeFormNumber")
WEB = Fields.of("URI")
META = Fields.of("CreateTime", "LastUpdatedTime", LastModifiedByRef=REF, CreatedByRef=REF)
CUSTOM_FIELDS = ListOf(Fields.of("DefinitionId", "Name", "Type", "StringValue",
                                 "BooleanValue", "NumberValue", "DateValue", open=True))
LINKED_TXN = ListOf(Fields.of("TxnId", "TxnType", "TxnLineId"))
TAX_LINE = Fields.of("Amount", "DetailType", "Id", "LineNum", "Description",
                     TaxLineDetail=Fields.of("PercentBased", "TaxPercent", "NetAmountTaxable",
                                             "TaxInclusiveAmount", "OverrideDeltaAmount",
                                             TaxRateRef=REF))
TAX_DETAIL = Fields.of("TotalTax", TxnTaxCodeRef=REF, TaxLine=ListOf(TAX_LINE))

# Every entity: identity, version, timestamps; `status` marks a CDC tombstone.
ENTITY = Fields.of("Id", "SyncToken", "domain", "sparse", "status", MetaData=META)

# Every transaction.
TRANSACTION = ENTITY.extended(
    "DocNumber", "TxnDate", "PrivateNote", "ExchangeRate", "TotalAmt", "HomeTotalAmt",
    "TxnStatus", "TxnSource", "TransactionLocationType", "GlobalTaxCalculation",
    CurrencyRef=REF, DepartmentRef=REF, ClassRef=REF, ProjectRef=REF, RecurDataRef=REF,
    TaxExemptionRef=REF, CustomField=CUSTOM_FIELDS, LinkedTxn=LINKED_TXN,
    TxnTaxDetail=TAX_DETAIL)

SALES_ITEM_DETAIL = Fields.of(
    "Qty", "UnitPrice", "ServiceDate", "TaxInclusiveAmt", "DiscountRate", "DiscountAmt",
    ItemRef=REF, ClassRef=REF, TaxCodeRef=REF, ItemAccountRef=REF, PriceLevelRef=REF,
    TaxClassificationRef=REF, MarkupInfo=Fields.of("PercentBased", "Value", "Percent",
                                                   PriceLevelRef=REF,
                                                   MarkUpIncomeAccountRef=REF))
LINE = Fields.of(
    "Id", "LineNum", "Description", "Amount", "DetailType", LinkedTxn=LINKED_TXN,
    ProjectRef=REF, CustomField=CUSTOM_FIELDS, SalesItemLineDetail=SALES_ITEM_DETAIL,
    DiscountLineDetail=Fields.of("PercentBased", "DiscountPercent", DiscountAccountRef=REF,
                                 ClassRef=REF, TaxCodeRef=REF),
    SubTotalLineDetail=Fields.of(ItemRef=REF),
    DescriptionLineDetail=Fields.of("ServiceDate", TaxCodeRef=REF),
    GroupLineDetail=Fields.of("Quantity", GroupItemRef=REF,
                              Line=ListOf(Fields.of("Id", "LineNum", "Description", "Amount",
                                                    "DetailType",
                                                    SalesItemLineDetail=SALES_ITEM_DETAIL))))

CARD_PAYMENT = Fields.of(
    CreditChargeInfo=Fields.of("Number", "Type", "NameOnAcct", "CcExpiryMonth", "CcExpiryYear",
                               "BillAddrStreet", "PostalCode", "Amount", "ProcessPayment"),
    CreditChargeResponse=Fields.of("Status", "AuthCode", "TxnAuthorizationTime",
                                   "CCTransId"))
CHECK_PAYMENT = Fields.of("CheckNum", "Status", "NameOnAcct", "AcctNum", "BankName")

# Invoice, CreditMemo, SalesReceipt and RefundReceipt.
SALES_FORM = TRANSACTION.extended(
    "Balance", "HomeBalance", "RemainingCredit", "EmailStatus", "PrintStatus", "DueDate",
    "ShipDate", "TrackingNum", "ApplyTaxAfterDiscount", "FreeFormAddress", "Deposit",
    "AllowIPNPayment", "AllowOnlinePayment", "AllowOnlineCreditCardPayment",
    "AllowOnlineACHPayment", "InvoiceLink", "PaymentRefNum", "PaymentType",
    CustomerRef=REF, CustomerMemo=Fields.of("value"), BillAddr=ADDRESS, ShipAddr=ADDRESS,
    ShipFromAddr=ADDRESS, BillEmail=EMAIL, BillEmailCc=EMAIL, BillEmailBcc=EMAIL,
    DeliveryInfo=Fields.of("DeliveryType", "DeliveryTime"), SalesTermRef=REF,
    ShipMethodRef=REF, DepositToAccountRef=REF, PaymentMethodRef=REF, ARAccountRef=REF,
    CheckPayment=CHECK_PAYMENT, CreditCardPayment=CARD_PAYMENT, Line=ListOf(LINE))

PAYMENT = TRANSACTION.extended(
    "UnappliedAmt", "PaymentRefNum", "ProcessPayment", CustomerRef=REF,
    DepositToAccountRef=REF, PaymentMethodRef=REF, ARAccountRef=REF,
    CreditCardPayment=CARD_PAYMENT,
    Line=ListOf(Fields.of("Id", "LineNum", "Amount", "Description", LinkedTxn=LINKED_TXN,
                          LineEx=OPEN)))

JOURNAL_ENTRY = TRANSACTION.extended(
    "Adjustment", JournalCodeRef=REF,
    Line=ListOf(Fields.of(
        "Id", "LineNum", "Description", "Amount", "DetailType", ProjectRef=REF,
        JournalEntryLineDetail=Fields.of(
            "PostingType", "TaxApplicableOn", "TaxAmount", "BillableStatus",
            AccountRef=REF, ClassRef=REF, DepartmentRef=REF, TaxCodeRef=REF,
            JournalCodeRef=REF, Entity=Fields.of("Type", EntityRef=REF)))))

DEPOSIT = TRANSACTION.extended(
    DepositToAccountRef=REF, CashBack=Fields.of("Amount", "Memo", AccountRef=REF),
    Line=ListOf(Fields.of(
        "Id", "LineNum", "Description", "Amount", "DetailType", LinkedTxn=LINKED_TXN,
        ProjectRef=REF, CustomField=CUSTOM_FIELDS,
        DepositLineDetail=Fields.of("CheckNum", "TxnType", "TaxApplicableOn", AccountRef=REF,
                                    Entity=REF, PaymentMethodRef=REF, ClassRef=REF,
                                    TaxCodeRef=REF))))

CUSTOMER = ENTITY.extended(
    "DisplayName", "Title", "GivenName", "MiddleName", "FamilyName", "Suffix", "CompanyName",
    "PrintOnCheckName", "FullyQualifiedName", "Active", "Job", "BillWithParent", "Level",
    "Notes", "Taxable", "TaxExemptionReasonId", "PreferredDeliveryMethod", "ResaleNum",
    "Balance", "BalanceWithJobs", "OpenBalanceDate", "PrimaryTaxIdentifier",
    "SecondaryTaxIdentifier", "BusinessNumber", "GSTIN", "GSTRegistrationType", "IsProject",
    "ClientEntityId", "Source", "TaxRegime", "V4IDPseudonym",
    PrimaryEmailAddr=EMAIL, PrimaryPhone=PHONE, Mobile=PHONE, AlternatePhone=PHONE, Fax=PHONE,
    WebAddr=WEB, BillAddr=ADDRESS, ShipAddr=ADDRESS, OtherAddr=ADDRESS, ParentRef=REF,
    CurrencyRef=REF, SalesTermRef=REF, PaymentMethodRef=REF, DefaultTaxCodeRef=REF,
    ARAccountRef=REF, CustomerTypeRef=REF)

ITEM = ENTITY.extended(
    "Name", "Sku", "Description", "Active", "Type", "UnitPrice", "Taxable", "SalesTaxIncluded",
    "PurchaseTaxIncluded", "FullyQualifiedName", "SubItem", "Level", "QtyOnHand",
    "InvStartDate", "TrackQtyOnHand", "PurchaseDesc", "PurchaseCost", "ReorderPoint",
    "AbatementRate", "ReverseChargeRate", "ServiceType", "ItemCategoryType", "UQCId",
    "Source", IncomeAccountRef=REF, ExpenseAccountRef=REF, AssetAccountRef=REF, ParentRef=REF,
    SalesTaxCodeRef=REF, PurchaseTaxCodeRef=REF, PrefVendorRef=REF, ClassRef=REF,
    TaxClassificationRef=REF)

ACCOUNT = ENTITY.extended(
    "Name", "AcctNum", "Description", "AccountType", "AccountSubType", "Classification",
    "Active", "CurrentBalance", "CurrentBalanceWithSubAccounts", "SubAccount",
    "FullyQualifiedName", "TxnLocationType", "AccountAlias", CurrencyRef=REF, ParentRef=REF,
    TaxCodeRef=REF)

FIELDS: dict[str, Fields] = {
    "Customer": CUSTOMER,
    "Item": ITEM,
    "Account": ACCOUNT,
    "Invoice": SALES_FORM,
    "CreditMemo": SALES_FORM,
    "SalesReceipt": SALES_FORM,
    "RefundReceipt": SALES_FORM,
    "Payment": PAYMENT,
    "Deposit": DEPOSIT,
    "JournalEntry": JOURNAL_ENTRY,
}

# What a read adds to the object QBO returns (see credit_applications.py).
RECORD_FIELDS: dict[str, Fields] = {
    "CreditMemo": SALES_FORM.extended(
        AppliedTo=ListOf(Fields.of("InvoiceId", "Amount", "PaymentId"))),
}
