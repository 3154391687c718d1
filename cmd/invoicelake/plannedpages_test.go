package main

import (
	"testing"

	"github.com/invoicelake/invoicelake/configs"
	"github.com/invoicelake/invoicelake/extract"
)

// TestPlannedPages: the plan counts calls with the page sizes the account
// remembered, never below the configured ones, and ignores other methods.
func TestPlannedPages(t *testing.T) {
	cfg := configs.Default()
	cfg.Source.InvoicePageSize, cfg.Source.ItemPageSize = 50, 100
	for _, tt := range []struct {
		name         string
		hints        []extract.PageSize
		wantInvoices int64
		wantItems    int64
	}{
		{"none", nil, 50, 100},
		{"remembered", []extract.PageSize{{Method: "SoftLayer_Account::getInvoices", Size: 200},
			{Method: "SoftLayer_Billing_Invoice::getItems", Size: 1550, Ceiling: 1600}}, 200, 1550},
		{"smaller than configured", []extract.PageSize{{Method: "SoftLayer_Billing_Invoice::getItems", Size: 20}}, 50, 100},
		{"other methods", []extract.PageSize{{Method: "SoftLayer_Account::getAllTopLevelBillingItems", Size: 150}}, 50, 100},
	} {
		p := &pipeline{cfg: cfg, pageSizes: tt.hints}
		if inv, items := p.plannedPages(); inv != tt.wantInvoices || items != tt.wantItems {
			t.Errorf("%s: plannedPages() = %d, %d; want %d, %d", tt.name, inv, items, tt.wantInvoices, tt.wantItems)
		}
	}
}
