//go:build !no_bmp280

package all

import _ "github.com/xiuhua/xiuhua/drivers/bmp280" // registers "bmp280"
