package configs

import _ "embed"

// DefaultCategories is the default category map (categories.yaml): the
// categoryCode of a top-level invoice item -> the SoftLayer service its
// resourceTableId belongs to. Parse it with transform.ParseCategoryMap; a
// user file in the same format overrides and extends it (CategoryMap.Merge).
//
//go:embed categories.yaml
var DefaultCategories []byte
