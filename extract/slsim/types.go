package slsim

import (
	"sort"

	"github.com/invoicelake/invoicelake/extract/slsim/query"
)

// The SoftLayer data types the simulator serves, as the query engine sees
// them. Locals are emitted in alphabetical order (as the real API does),
// then the masked extras in mask order.

var (
	tInvoice      = &query.Type{Name: "SoftLayer_Billing_Invoice"}
	tItem         = &query.Type{Name: "SoftLayer_Billing_Invoice_Item"}
	tCategory     = &query.Type{Name: "SoftLayer_Product_Item_Category"}
	tLocation     = &query.Type{Name: "SoftLayer_Location"}
	tBillingItem  = &query.Type{Name: "SoftLayer_Billing_Item"}
	tPayment      = &query.Type{Name: "SoftLayer_Billing_Invoice_Receivable_Payment"}
	tAccount      = &query.Type{Name: "SoftLayer_Account"}
	tProduct      = &query.Type{Name: "SoftLayer_Product_Item"}
	tOrder        = &query.Type{Name: "SoftLayer_Billing_Order"}
	tOrderItem    = &query.Type{Name: "SoftLayer_Billing_Order_Item"}
	tOrderType    = &query.Type{Name: "SoftLayer_Billing_Order_Type"}
	tUser         = &query.Type{Name: "SoftLayer_User_Customer"}
	tUserStatus   = &query.Type{Name: "SoftLayer_User_Customer_Status"}
	tExchangeRate = &query.Type{Name: "SoftLayer_Billing_Currency_ExchangeRate"}
	tCurrency     = &query.Type{Name: "SoftLayer_Billing_Currency"}
	tTaxInfo      = &query.Type{Name: "SoftLayer_Billing_Invoice_Tax_Info"}
	tTaxType      = &query.Type{Name: "SoftLayer_Billing_Invoice_Tax_Type"}
	tBrand        = &query.Type{Name: "SoftLayer_Brand"}
	tChargeback   = &query.Type{Name: "SoftLayer_Billing_Chargeback_Type"}
)

var allTypes = []*query.Type{tInvoice, tItem, tCategory, tLocation, tBillingItem, tPayment, tAccount, tProduct,
	tOrder, tOrderItem, tOrderType, tUser, tUserStatus, tExchangeRate, tCurrency, tTaxInfo, tTaxType, tBrand, tChargeback}

// localNames holds each type's local properties, sorted.
var localNames = map[*query.Type][]string{}

// omitWhenNull names local properties the API leaves out, rather than
// writing null, when they have no value (the sl-cli billing item fixture
// has no hostName/domainName on children and no notes anywhere).
var omitWhenNull = map[*query.Type]map[string]bool{
	tBillingItem: {"hostName": true, "domainName": true, "notes": true, "associatedBillingItemId": true,
		"resourceTableId": true, "packageId": true, "hoursUsed": true, "currentHourlyCharge": true},
}

// bareNumbers names float-typed computed properties the API writes as JSON
// numbers, not decimal strings (the sl-cli billing item fixture has
// "nextInvoiceTotalRecurringAmount": 0).
var bareNumbers = map[*query.Type]map[string]bool{
	tBillingItem: {"nextInvoiceTotalRecurringAmount": true, "nextInvoiceTotalRecurringTaxAmount": true,
		"nextInvoiceTotalOneTimeAmount": true, "nextInvoiceTotalOneTimeTaxAmount": true},
}

func locals(names ...string) map[string]query.Prop {
	m := make(map[string]query.Prop, len(names))
	for _, n := range names {
		m[n] = query.Prop{Kind: query.Local}
	}
	return m
}

func with(m map[string]query.Prop, kind query.PropKind, names ...string) {
	for _, n := range names {
		m[n] = query.Prop{Kind: kind}
	}
}

func rel(m map[string]query.Prop, name string, t *query.Type, array bool) {
	m[name] = query.Prop{Kind: query.Relational, Type: t, Array: array}
}

var _ = declareTypes()

func declareTypes() bool {
	p := locals("id", "accountId", "createDate", "modifyDate", "closedDate", "typeCode", "statusCode",
		"startingBalance", "endingBalance", "companyName", "firstName", "lastName", "address1", "address2",
		"city", "state", "postalCode", "country", "email", "officePhone", "faxPhone", "claimedTaxExemptTxFlag",
		"documentsGeneratedFlag", "purchaseOrderNumber", "taxStatusId", "taxTypeId", "creditTypeDetailId")
	with(p, query.Computed, "amount", "invoiceTotalAmount", "invoiceTotalPreTaxAmount", "invoiceTotalRecurringAmount",
		"invoiceTotalRecurringTaxAmount", "invoiceTotalOneTimeAmount", "invoiceTotalOneTimeTaxAmount", "payment",
		"detailedPdfGeneratedFlag", "sellerRegistration", "taxMessage")
	with(p, query.Count, "itemCount", "invoiceTopLevelItemCount", "paymentCount", "taxInfoHistoryCount")
	rel(p, "items", tItem, true)
	rel(p, "invoiceTopLevelItems", tItem, true)
	rel(p, "payments", tPayment, true)
	rel(p, "account", tAccount, false)
	rel(p, "localCurrencyExchangeRate", tExchangeRate, false)
	rel(p, "taxInfo", tTaxInfo, false)
	rel(p, "taxInfoHistory", tTaxInfo, true)
	rel(p, "taxType", tTaxType, false)
	rel(p, "brandAtInvoiceCreation", tBrand, false)
	rel(p, "chargebackType", tChargeback, false)
	tInvoice.Props = p

	p = locals("id", "invoiceId", "parentId", "billingItemId", "associatedInvoiceItemId", "categoryCode",
		"description", "hostName", "domainName", "notes", "createDate", "endDate", "recurringFee",
		"hourlyRecurringFee", "oneTimeFee", "setupFee", "laborFee", "recurringFeeTaxRate", "oneTimeFeeTaxRate",
		"setupFeeTaxRate", "laborFeeTaxRate", "recurringTaxAmount", "oneTimeTaxAmount", "setupTaxAmount",
		"laborTaxAmount", "recurringAfterTaxAmount", "oneTimeAfterTaxAmount", "setupAfterTaxAmount",
		"laborAfterTaxAmount", "setupFeeDeferralMonths", "productItemId", "resourceTableId", "serviceProviderId",
		"packageId")
	with(p, query.Computed, "totalRecurringAmount", "totalOneTimeAmount", "totalRecurringTaxAmount",
		"totalOneTimeTaxAmount", "hourlyFlag", "usageChargeFlag", "topLevelProductGroupName")
	with(p, query.Count, "childrenCount", "associatedChildrenCount", "filteredAssociatedChildrenCount",
		"nonZeroAssociatedChildrenCount")
	rel(p, "category", tCategory, false)
	rel(p, "location", tLocation, false)
	rel(p, "parent", tItem, false)
	rel(p, "associatedInvoiceItem", tItem, false)
	rel(p, "children", tItem, true)
	rel(p, "associatedChildren", tItem, true)
	rel(p, "filteredAssociatedChildren", tItem, true)
	rel(p, "nonZeroAssociatedChildren", tItem, true)
	rel(p, "invoice", tInvoice, false)
	rel(p, "billingItem", tBillingItem, false)
	rel(p, "product", tProduct, false)
	tItem.Props = p

	tCategory.Props = locals("id", "categoryCode", "name", "quantityLimit", "sortOrder")
	tLocation.Props = locals("id", "name", "longName", "statusId")
	tProduct.Props = locals("id", "description", "keyName")

	p = locals("id", "parentId", "associatedBillingItemId", "categoryCode", "description", "hostName",
		"domainName", "notes", "createDate", "modifyDate", "cycleStartDate", "lastBillDate", "nextBillDate",
		"cancellationDate", "recurringFee", "hourlyRecurringFee", "oneTimeFee", "setupFee", "laborFee",
		"recurringFeeTaxRate", "oneTimeFeeTaxRate", "setupFeeTaxRate", "laborFeeTaxRate", "orderItemId",
		"serviceProviderId", "allowCancellationFlag", "recurringMonths", "resourceTableId", "packageId",
		"hoursUsed", "currentHourlyCharge")
	with(p, query.Computed, "hourlyFlag", "activeFlag", "pendingCancellationFlag", "nextInvoiceTotalRecurringAmount",
		"nextInvoiceTotalRecurringTaxAmount", "nextInvoiceTotalOneTimeAmount", "nextInvoiceTotalOneTimeTaxAmount")
	with(p, query.Count, "childrenCount", "activeChildrenCount", "associatedChildrenCount", "nextInvoiceChildrenCount")
	rel(p, "children", tBillingItem, true)
	rel(p, "activeChildren", tBillingItem, true)
	rel(p, "associatedChildren", tBillingItem, true)
	rel(p, "nextInvoiceChildren", tBillingItem, true)
	rel(p, "parent", tBillingItem, false)
	rel(p, "associatedBillingItem", tBillingItem, false)
	rel(p, "category", tCategory, false)
	rel(p, "location", tLocation, false)
	rel(p, "orderItem", tOrderItem, false)
	rel(p, "account", tAccount, false)
	tBillingItem.Props = p

	tPayment.Props = locals("amount", "createDate", "invoiceId", "typeCode")
	rel(tPayment.Props, "invoice", tInvoice, false)
	rel(tPayment.Props, "account", tAccount, false)
	rel(tPayment.Props, "exchangeRate", tExchangeRate, false)

	p = locals("id", "accountId", "createDate", "modifyDate", "status", "userRecordId", "orderTypeId",
		"impersonatingUserRecordId", "orderQuoteId", "presaleEventId", "privateCloudOrderFlag")
	with(p, query.Computed, "orderApprovalDate", "orderTotalAmount", "orderTotalOneTime", "orderTotalOneTimeAmount",
		"orderTotalOneTimeTaxAmount", "orderTotalRecurring", "orderTotalRecurringAmount", "orderTotalRecurringTaxAmount",
		"orderTotalSetupAmount", "upgradeRequestFlag")
	with(p, query.Count, "itemCount", "orderTopLevelItemCount")
	rel(p, "items", tOrderItem, true)
	rel(p, "orderTopLevelItems", tOrderItem, true)
	rel(p, "userRecord", tUser, false)
	rel(p, "initialInvoice", tInvoice, false)
	rel(p, "orderType", tOrderType, false)
	rel(p, "account", tAccount, false)
	tOrder.Props = p

	p = locals("id", "parentId", "categoryCode", "description", "hostName", "domainName", "itemId", "quantity",
		"recurringFee", "hourlyRecurringFee", "oneTimeFee", "setupFee", "laborFee", "recurringFeeTaxRate",
		"oneTimeFeeTaxRate", "setupFeeTaxRate", "laborFeeTaxRate", "setupFeeDeferralMonths", "promoCodeId")
	with(p, query.Computed, "totalRecurringAmount")
	with(p, query.Count, "childrenCount")
	rel(p, "order", tOrder, false)
	rel(p, "billingItem", tBillingItem, false)
	rel(p, "category", tCategory, false)
	rel(p, "location", tLocation, false)
	rel(p, "parent", tOrderItem, false)
	rel(p, "children", tOrderItem, true)
	tOrderItem.Props = p

	tOrderType.Props = locals("id", "type", "description")

	p = locals("id", "accountId", "username", "email", "firstName", "lastName", "displayName", "companyName",
		"createDate", "modifyDate", "statusDate", "userStatusId", "parentId", "isMasterUserFlag", "iamId")
	rel(p, "userStatus", tUserStatus, false)
	rel(p, "account", tAccount, false)
	tUser.Props = p
	tUserStatus.Props = locals("id", "keyName", "name")

	tExchangeRate.Props = locals("id", "effectiveDate", "expirationDate", "rate")
	rel(tExchangeRate.Props, "fundingCurrency", tCurrency, false)
	rel(tExchangeRate.Props, "localCurrency", tCurrency, false)
	tCurrency.Props = locals("id", "keyName", "name")

	p = locals("id", "invoiceId", "currencyId", "createDate", "modifyDate", "reportedFlag")
	with(p, query.Computed, "totalTaxAmountToCurrency")
	with(p, query.Count, "itemCount")
	rel(p, "currency", tCurrency, false)
	rel(p, "functionalCurrency", tCurrency, false)
	rel(p, "invoice", tInvoice, false)
	tTaxInfo.Props = p
	tTaxType.Props = locals("id", "keyName", "name")
	tBrand.Props = locals("id", "keyName", "longName", "name")
	tChargeback.Props = locals("keyName")

	p = locals("id", "accountStatusId", "address1", "brandId", "city", "companyName", "country", "createDate",
		"email", "firstName", "lastName", "officePhone", "postalCode", "state")
	with(p, query.Computed, "balance", "latestBillDate", "nextInvoiceTotalAmount", "nextInvoiceTotalOneTimeAmount",
		"nextInvoiceTotalOneTimeTaxAmount", "nextInvoiceTotalRecurringAmount",
		"nextInvoiceTotalRecurringAmountBeforeAccountDiscount", "nextInvoiceTotalRecurringTaxAmount",
		"nextInvoiceTotalTaxableRecurringAmount", "nextInvoiceRecurringAmountEligibleForAccountDiscount",
		"nextInvoiceIncubatorExemptTotal", "nextInvoicePlatformServicesTotalAmount", "pendingInvoiceTotalAmount",
		"pendingInvoiceTotalOneTimeAmount", "pendingInvoiceTotalOneTimeTaxAmount", "pendingInvoiceTotalRecurringAmount",
		"pendingInvoiceTotalRecurringTaxAmount")
	with(p, query.Count, "invoiceCount", "nextInvoiceTopLevelBillingItemCount", "allTopLevelBillingItemCount",
		"openRecurringInvoiceCount", "pendingInvoiceTopLevelItemCount", "orderCount", "userCount", "hardwareCount",
		"virtualGuestCount", "networkVlanCount", "dedicatedHostCount", "networkStorageCount", "subnetCount",
		"domainCount", "openTicketCount", "blockDeviceTemplateGroupCount")
	rel(p, "invoices", tInvoice, true)
	rel(p, "openRecurringInvoices", tInvoice, true)
	rel(p, "latestRecurringInvoice", tInvoice, false)
	rel(p, "latestRecurringPendingInvoice", tInvoice, false)
	rel(p, "pendingInvoice", tInvoice, false)
	rel(p, "pendingInvoiceTopLevelItems", tItem, true)
	rel(p, "nextInvoiceTopLevelBillingItems", tBillingItem, true)
	rel(p, "allTopLevelBillingItems", tBillingItem, true)
	rel(p, "orders", tOrder, true)
	rel(p, "users", tUser, true)
	rel(p, "masterUser", tUser, false)
	tAccount.Props = p

	for _, t := range allTypes {
		var ns []string
		for n, pr := range t.Props {
			if pr.Kind == query.Local {
				ns = append(ns, n)
			}
		}
		sort.Strings(ns)
		localNames[t] = ns
	}
	return true
}
