package query

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxFilterDepth bounds the nesting of an objectFilter.
const maxFilterDepth = 64

// jsonObject is a JSON object with its keys in document order (orderBy keys
// without a sortOrder sort in JSON key order, so a map will not do).
type jsonObject []jsonMember

type jsonMember struct {
	key string
	val any // jsonObject, []any, string, json.Number, bool or nil
}

func (o jsonObject) get(key string) (any, bool) {
	for _, m := range o {
		if m.key == key {
			return m.val, true
		}
	}
	return nil, false
}

// decodeJSON decodes exactly one JSON value from raw, keeping object key
// order and numbers as json.Number.
func decodeJSON(raw string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err == nil {
			return nil, fmt.Errorf("offset %d: data after the JSON value", dec.InputOffset())
		}
		return nil, jsonErr(dec, err)
	}
	return v, nil
}

func jsonErr(dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("offset %d: unexpected end of JSON", dec.InputOffset())
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("offset %d: %s", se.Offset, se.Error())
	}
	return err
}

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxFilterDepth {
		return nil, fmt.Errorf("offset %d: nested deeper than %d levels", dec.InputOffset(), maxFilterDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonErr(dec, err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch d {
	case '{':
		var obj jsonObject
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, jsonErr(dec, err)
			}
			key, ok := kt.(string)
			if !ok {
				return nil, fmt.Errorf("offset %d: object key is not a string", dec.InputOffset())
			}
			v, err := decodeValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			obj = append(obj, jsonMember{key: key, val: v})
		}
		if _, err := dec.Token(); err != nil { // '}'
			return nil, jsonErr(dec, err)
		}
		if obj == nil {
			obj = jsonObject{}
		}
		return obj, nil
	case '[':
		arr := []any{}
		for dec.More() {
			v, err := decodeValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		if _, err := dec.Token(); err != nil { // ']'
			return nil, jsonErr(dec, err)
		}
		return arr, nil
	}
	return nil, fmt.Errorf("offset %d: unexpected %q", dec.InputOffset(), d)
}
