package uplink

import (
	"crypto/x509"
	"errors"
	"fmt"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// connectNotification keeps the reason of each failed connection attempt,
// in Stats.ConnectErr and the log: paho retries on its own and would
// otherwise say nothing of why a device never comes online, which over TLS
// is most often a certificate the config does not match.
func (u *Uplink) connectNotification(_ mqtt.Client, n mqtt.ConnectionNotification) {
	switch n := n.(type) {
	case mqtt.ConnectionNotificationBrokerFailed:
		err := connectError(n.Broker.Redacted(), n.Reason)
		msg := err.Error()
		u.connectErr.Store(&msg)
		u.log.Warn("uplink: cannot connect", "err", err)
	case mqtt.ConnectionNotificationFailed:
		if u.connectErr.Load() == nil {
			msg := fmt.Sprintf("uplink: connect: %v", n.Reason)
			u.connectErr.Store(&msg)
		}
	case mqtt.ConnectionNotificationConnected:
		u.connectErr.Store(nil)
	}
}

// connectError words a failure to connect to broker so that the engineer
// knows which setting to look at.
func connectError(broker string, err error) error {
	var (
		unknownCA x509.UnknownAuthorityError
		wrongHost x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &unknownCA):
		return fmt.Errorf("uplink: connect to %s: the broker's certificate is not signed by a CA this device trusts (check uplink.tls.ca_file): %w", broker, err)
	case errors.As(err, &wrongHost):
		return fmt.Errorf("uplink: connect to %s: the broker's certificate is not for the name dialled (set uplink.tls.server_name to a name it carries): %w", broker, err)
	case errors.As(err, &invalid):
		return fmt.Errorf("uplink: connect to %s: the broker's certificate is not valid now (expired, or this device's clock is wrong): %w", broker, err)
	}
	return fmt.Errorf("uplink: connect to %s: %w", broker, err)
}
