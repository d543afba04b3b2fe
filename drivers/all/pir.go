//go:build !no_pir

package all

import _ "github.com/xiuhua/xiuhua/drivers/pir" // registers "pir"
