//go:build tools

// Package tools pins the hubble CLI this module builds.
package tools

import (
	_ "github.com/cilium/cilium/hubble"
)
