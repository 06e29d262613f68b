package lab

import (
	"fmt"
	"net"
	"strconv"
)

// Node is one machine of the lab.
type Node struct {
	// Name is the node's hostname: master0, master1, …, node1, node2, ….
	Name string
	// IP is the node's own loopback address (127.0.10.2 for master0).
	IP string
	// Role is "master" or "node", as in the Clusterfile.
	Role string
}

// Addr returns IP:port for a port on this node.
func (n Node) Addr(port int) string { return net.JoinHostPort(n.IP, strconv.Itoa(port)) }

// IsMaster reports whether the node has the master role.
func (n Node) IsMaster() bool { return n.Role == "master" }

// shape lists the nodes of a lab with m masters and w workers.
func shape(m, w int) []Node {
	var nodes []Node
	for i := 0; i < m; i++ {
		nodes = append(nodes, Node{Name: fmt.Sprintf("master%d", i), IP: fmt.Sprintf("%s%d", Subnet, 2+i), Role: "master"})
	}
	for i := 0; i < w; i++ {
		nodes = append(nodes, Node{Name: fmt.Sprintf("node%d", i+1), IP: fmt.Sprintf("%s%d", Subnet, 2+m+i), Role: "node"})
	}
	return nodes
}
