package h3

import (
	"errors"
	"fmt"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// cleanError says what ended a request or a dial in gowrk's words, without
// quic-go's internals: the kind of QUIC or HTTP/3 error and its code.
func cleanError(err error) error {
	var se *quic.StreamError
	var ae *quic.ApplicationError
	var te *quic.TransportError
	var he *http3.Error
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("the server reset the stream (HTTP/3 error %s)", http3.ErrCode(se.ErrorCode))
	case errors.As(err, &ae):
		return fmt.Errorf("the server closed the QUIC connection (HTTP/3 error %s)", http3.ErrCode(ae.ErrorCode))
	case errors.As(err, &he):
		return fmt.Errorf("HTTP/3 error %s", he.ErrorCode)
	case errors.As(err, new(*quic.IdleTimeoutError)):
		return errors.New("the QUIC connection timed out idle (no packet from the server)")
	case errors.As(err, new(*quic.StatelessResetError)):
		return errors.New("the server reset the QUIC connection (stateless reset)")
	case errors.As(err, &te):
		return fmt.Errorf("QUIC transport error %s", te.ErrorCode)
	}
	return err
}
