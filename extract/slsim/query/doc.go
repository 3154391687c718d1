// Package query is the objectMask and objectFilter engine of the SoftLayer
// simulator (extract/slsim). It is test infrastructure: production code never
// imports it.
//
// The simulator declares its SoftLayer data types with [Type] and [Prop],
// parses the objectMask of a request once with [ParseMask] and resolves it
// against the method's return type with [Mask.Resolve]; the resulting
// [Selection] says, level by level, which local properties to emit and which
// relational, computed and count properties were requested.
//
// The objectFilter is parsed once per request with [ParseFilter]. All values,
// dates and regular expressions are compiled at parse time, so
// [Filter.Match] and [Filter.Sort] can run over tens of thousands of records
// without re-parsing. [Filter.Under] selects the part of the filter that
// applies to the objects of a relational property ("invoices", "items", ...).
//
// The semantics follow the SoftLayer REST API as documented in
// the project's reference notes, shared/reference/softlayer-api.md §1.5 (masks), §1.6 (filters) and
// §2 (ordering): unknown mask properties are errors, but a filter path or
// operator the engine cannot understand is ignored, as the real API does.
package query
