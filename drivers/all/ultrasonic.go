//go:build !no_ultrasonic

package all

import _ "github.com/xiuhua/xiuhua/drivers/ultrasonic" // registers "ultrasonic"
