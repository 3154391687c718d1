package extract

// Page-size bounds the client accepts (Config.InvoicePageSize,
// Config.ItemPageSize, Config.MinPageSize), for configuration layers to
// check against the same numbers.
const (
	MinPageSizeLimit = 2
	MaxPageSizeLimit = maxPageSize
)
