package extract

import (
	"context"
	"errors"
	"fmt"
)

// AccountID asks the API which account the client's credentials belong to
// (SoftLayer_Account::getObject with mask[id]): one call. The lake files
// an account's data under this id, never under one a configuration claims.
func (c *Client) AccountID(ctx context.Context) (int64, error) {
	var id int64
	req := request{service: "SoftLayer_Account", method: "getObject", mask: "mask[id]"}
	err := c.call(ctx, req, func(body []byte, _ int) error {
		l := lexer{data: body}
		var fe fieldErr
		err := l.object(func(key []byte) error {
			if string(key) == "id" {
				var err error
				id, _, err = l.readInt(&fe, "id")
				return err
			}
			return l.skip()
		})
		if err != nil {
			return err
		}
		if l.peek() != 0 {
			return l.errorf("trailing data after the account")
		}
		if fe.err != nil {
			return &DecodeError{Field: fe.field, Value: fe.value, Err: fe.err}
		}
		if id <= 0 {
			return &DecodeError{Field: "id", Err: errors.New("the account has no id")}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("extract: account: %w", err)
	}
	return id, nil
}
