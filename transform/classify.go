package transform

import (
	"github.com/invoicelake/invoicelake/schemas"
)

// The charge categories and frequencies rows point to (shared, never
// written through).
var (
	catUsage      = schemas.ChargeUsage
	catPurchase   = schemas.ChargePurchase
	catTax        = schemas.ChargeTax
	catCredit     = schemas.ChargeCredit
	catAdjustment = schemas.ChargeAdjustment

	freqOneTime    = schemas.FrequencyOneTime
	freqRecurring  = schemas.FrequencyRecurring
	freqUsageBased = schemas.FrequencyUsageBased
)

// creditInvoice reports the invoice types whose items are credits.
func creditInvoice(typeCode string) bool {
	switch typeCode {
	case "CREDIT", "REFUND", "MANUAL_PAYMENT_CREDIT":
		return true
	}
	return false
}

func nonZero(d *schemas.Decimal) bool { return d != nil && d.Sign() != 0 }

// classify returns an item's FOCUS charge category and frequency, from its
// fees, its hourly rate and its invoice (total is its own fees plus taxes).
// The rules, first match wins:
//
// category:
//   - Credit: a CREDIT, REFUND or MANUAL_PAYMENT_CREDIT invoice, the credit
//     category code, or a negative total;
//   - Adjustment: the item was created after its invoice closed (a late
//     adjustment);
//   - Tax: no fee, only taxes;
//   - Usage: an hourly item (a non-zero hourly rate: billed in arrears by
//     the hours used);
//   - Purchase: everything else (monthly fees billed in advance, one-time,
//     setup and labor fees).
//
// frequency:
//   - One-Time for credits, adjustments and taxes alone;
//   - Usage-Based for hourly items;
//   - Recurring for a non-zero recurring fee;
//   - One-Time for a one-time, setup or labor fee;
//   - an item without any amount (a $0 part of a resource): Recurring on
//     RECURRING and NEW invoices, One-Time elsewhere.
func classify(it *schemas.InvoiceItem, inv *invoiceInfo, total schemas.Decimal) (category, frequency *string) {
	hourly := nonZero(it.HourlyRecurringFee)
	oneTime := nonZero(it.OneTimeFee) || nonZero(it.SetupFee) || nonZero(it.LaborFee)
	fees := oneTime || nonZero(it.RecurringFee)
	taxes := nonZero(it.RecurringTaxAmount) || nonZero(it.OneTimeTaxAmount) || nonZero(it.SetupTaxAmount) || nonZero(it.LaborTaxAmount)
	switch {
	case creditInvoice(inv.typeCode) || it.CategoryCode == "credit" || total.Sign() < 0:
		return &catCredit, &freqOneTime
	case inv.closed != nil && it.CreateDate != nil && it.CreateDate.After(*inv.closed):
		return &catAdjustment, &freqOneTime
	case !fees && taxes:
		return &catTax, &freqOneTime
	case hourly:
		return &catUsage, &freqUsageBased
	}
	switch {
	case nonZero(it.RecurringFee):
		return &catPurchase, &freqRecurring
	case oneTime:
		return &catPurchase, &freqOneTime
	case inv.typeCode == "RECURRING" || inv.typeCode == "NEW":
		return &catPurchase, &freqRecurring
	}
	return &catPurchase, &freqOneTime
}
