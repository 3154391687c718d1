package slsim

import (
	"sort"

	"github.com/invoicelake/invoicelake/extract/slsim/query"
)

// The SoftLayer data types the simulator serves, as the query engine sees
// them. Locals are emitted in alphabetical order (as the real API does),
// then the masked extras in mask order.

var (
	tInvoice     = &query.Type{Name: "SoftLayer_Billing_Invoice"}
	tItem        = &query.Type{Name: "SoftLayer_Billing_Invoice_Item"}
	tCategory    = &query.Type{Name: "SoftLayer_Product_Item_Category"}
	tLocation    = &query.Type{Name: "SoftLayer_Location"}
	tBillingItem = &query.Type{Name: "SoftLayer_Billing_Item"}
	tPayment     = &query.Type{Name: "SoftLayer_Billing_Invoice_Receivable_Payment"}
	tAccount     = &query.Type{Name: "SoftLayer_Account"}
	tProduct     = &query.Type{Name: "SoftLayer_Product_Item"}
)

// localNames holds each type's local properties, sorted.
var localNames = map[*query.Type][]string{}

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
	with(p, query.Count, "itemCount", "invoiceTopLevelItemCount", "paymentCount")
	rel(p, "items", tItem, true)
	rel(p, "invoiceTopLevelItems", tItem, true)
	rel(p, "payments", tPayment, true)
	rel(p, "account", tAccount, false)
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
		"serviceProviderId", "allowCancellationFlag", "recurringMonths", "resourceTableId", "packageId")
	with(p, query.Computed, "hourlyFlag", "activeFlag", "nextInvoiceTotalRecurringAmount")
	with(p, query.Count, "childrenCount")
	rel(p, "children", tBillingItem, true)
	rel(p, "category", tCategory, false)
	rel(p, "location", tLocation, false)
	tBillingItem.Props = p

	tPayment.Props = locals("amount", "createDate", "invoiceId", "typeCode")
	rel(tPayment.Props, "invoice", tInvoice, false)

	p = locals("id", "accountStatusId", "address1", "brandId", "city", "companyName", "country", "createDate",
		"email", "firstName", "lastName", "officePhone", "postalCode", "state")
	with(p, query.Computed, "balance")
	with(p, query.Count, "invoiceCount", "nextInvoiceTopLevelBillingItemCount")
	rel(p, "invoices", tInvoice, true)
	rel(p, "openRecurringInvoices", tInvoice, true)
	rel(p, "latestRecurringInvoice", tInvoice, false)
	rel(p, "latestRecurringPendingInvoice", tInvoice, false)
	rel(p, "nextInvoiceTopLevelBillingItems", tBillingItem, true)
	tAccount.Props = p

	for _, t := range []*query.Type{tInvoice, tItem, tCategory, tLocation, tBillingItem, tPayment, tAccount, tProduct} {
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
