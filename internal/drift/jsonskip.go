package drift

import "encoding/json"

// SkipJSONValue reads past the next value of dec, token by token (without
// holding it): the baseline reader and `drift merge` skip the parts of a
// JSON report they do not need.
func SkipJSONValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}
