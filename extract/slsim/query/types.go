package query

// PropKind says how a property of a SoftLayer data type is returned.
type PropKind int

const (
	// Local properties are returned without a mask.
	Local PropKind = iota
	// Relational properties (an object or an array of objects) are returned
	// only when masked.
	Relational
	// Computed properties are relational scalars (e.g. invoiceTotalAmount),
	// returned only when masked.
	Computed
	// Count properties (e.g. itemCount) are returned only when masked.
	Count
)

// String returns the kind's name.
func (k PropKind) String() string {
	switch k {
	case Local:
		return "local"
	case Relational:
		return "relational"
	case Computed:
		return "computed"
	case Count:
		return "count"
	}
	return "PropKind(?)"
}

// Prop describes one property of a Type.
type Prop struct {
	Kind  PropKind
	Type  *Type // for Relational: the element type; nil otherwise
	Array bool  // Relational arrays
}

// Type describes a SoftLayer data type, e.g. "SoftLayer_Billing_Invoice".
// Types may refer to each other in cycles (item.children, item.parent).
type Type struct {
	Name  string // "SoftLayer_Billing_Invoice"
	Props map[string]Prop
}
