//go:build !no_sds011

package all

import _ "github.com/xiuhua/xiuhua/drivers/sds011" // registers "sds011"
