//go:build !no_ld2410

package all

import _ "github.com/xiuhua/xiuhua/drivers/ld2410" // registers "ld2410"
