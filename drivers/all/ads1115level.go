//go:build !no_ads1115level

package all

import _ "github.com/xiuhua/xiuhua/drivers/ads1115level" // registers "ads1115level"
