//go:build !no_adxl345

package all

import _ "github.com/xiuhua/xiuhua/drivers/adxl345" // registers "adxl345"
