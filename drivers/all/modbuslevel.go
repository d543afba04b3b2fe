//go:build !no_modbuslevel

package all

import _ "github.com/xiuhua/xiuhua/drivers/modbuslevel" // registers "modbuslevel"
