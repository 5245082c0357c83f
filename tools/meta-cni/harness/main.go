// SPDX-License-Identifier: GPL-2.0

// meta-cni-harness runs a network configuration list through libcni, the
// library containerd, CRI-O and podman's CNI backend run plugins with
// (Debian 12's golang-github-appc-cni-dev, built in GOPATH mode), so that
// the meta plugin is tested by a real client: the same environment, stdin,
// prevResult chaining, result conversion and cache.
//
//	meta-cni-harness [-path DIRS] [-cache DIR] CONFLIST add|check|del ID NETNS IFNAME
//	meta-cni-harness [-path DIRS] [-cache DIR] CONFLIST parallel add|check|del N PREFIX IFNAME
//	meta-cni-harness [-path DIRS] CONFLIST validate
//
// add prints the final result of the chain (JSON, in the list's cniVersion).
// A CNI error of a plugin is printed on stdout as {"code": N, "msg": ...,
// "details": ...} and the exit status is 2; any other failure goes to
// stderr with exit status 1. parallel runs the operation for N attachments
// at once (container ids PREFIX-0 ... PREFIX-N-1 in netns
// /run/netns/PREFIX-I), one goroutine each, prints "I ok" or "I error
// CODE MSG" per attachment and a summary "N ok, M failed".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

func die(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "meta-cni-harness: "+format+"\n", a...)
	os.Exit(1)
}

// run performs op for one attachment; add returns the result as JSON.
func run(cni *libcni.CNIConfig, list *libcni.NetworkConfigList, op, id, netns, ifname string) ([]byte, error) {
	rt := &libcni.RuntimeConf{ContainerID: id, NetNS: netns, IfName: ifname}
	ctx := context.Background()
	switch op {
	case "add":
		res, err := cni.AddNetworkList(ctx, list, rt)
		if err != nil {
			return nil, err
		}
		return json.Marshal(res)
	case "check":
		return nil, cni.CheckNetworkList(ctx, list, rt)
	case "del":
		return nil, cni.DelNetworkList(ctx, list, rt)
	}
	die("unknown operation %q (add, check, del)", op)
	return nil, nil
}

// cniError is the plugin's error as the spec encodes it, or nil.
func cniError(err error) *types.Error {
	var e *types.Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

func main() {
	path := flag.String("path", "/opt/cni/bin", "plugin directories, ':'-separated (CNI_PATH)")
	cache := flag.String("cache", "", "libcni's cache directory (results for CHECK and DEL)")
	flag.Parse()
	args := flag.Args()
	if len(args) < 2 {
		die("usage: [-path DIRS] [-cache DIR] CONFLIST add|check|del ID NETNS IFNAME | parallel OP N PREFIX IFNAME | validate")
	}
	list, err := libcni.ConfListFromFile(args[0])
	if err != nil {
		die("%s: %v", args[0], err)
	}
	cni := libcni.NewCNIConfigWithCacheDir(filepath.SplitList(*path), *cache, nil)

	switch args[1] {
	case "validate":
		caps, err := cni.ValidateNetworkList(context.Background(), list)
		if err != nil {
			if e := cniError(err); e != nil {
				out, _ := json.Marshal(e)
				fmt.Println(string(out))
				os.Exit(2)
			}
			die("validate: %v", err)
		}
		fmt.Printf("valid; capabilities %v\n", caps)
	case "add", "check", "del":
		if len(args) != 5 {
			die("%s needs ID NETNS IFNAME", args[1])
		}
		out, err := run(cni, list, args[1], args[2], args[3], args[4])
		if err != nil {
			if e := cniError(err); e != nil {
				js, _ := json.Marshal(e)
				fmt.Println(string(js))
				os.Exit(2)
			}
			die("%s: %v", args[1], err)
		}
		if out != nil {
			fmt.Println(string(out))
		}
	case "parallel":
		if len(args) != 6 {
			die("parallel needs OP N PREFIX IFNAME")
		}
		n, err := strconv.Atoi(args[3])
		if err != nil || n < 1 {
			die("parallel: bad count %q", args[3])
		}
		prefix, ifname := args[4], args[5]
		lines := make([]string, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				name := fmt.Sprintf("%s-%d", prefix, i)
				_, err := run(cni, list, args[2], name, "/run/netns/"+name, ifname)
				switch {
				case err == nil:
					lines[i] = fmt.Sprintf("%d ok", i)
				case cniError(err) != nil:
					e := cniError(err)
					lines[i] = fmt.Sprintf("%d error %d %s", i, e.Code, strings.ReplaceAll(e.Error(), "\n", " "))
				default:
					lines[i] = fmt.Sprintf("%d error - %s", i, strings.ReplaceAll(err.Error(), "\n", " "))
				}
			}(i)
		}
		wg.Wait()
		failed := 0
		for _, l := range lines {
			fmt.Println(l)
			if !strings.HasSuffix(l, " ok") {
				failed++
			}
		}
		fmt.Printf("%d ok, %d failed\n", n-failed, failed)
		if failed > 0 {
			os.Exit(2)
		}
	default:
		die("unknown operation %q", args[1])
	}
}
