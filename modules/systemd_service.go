package modules

import "strings"

// systemdServiceModule is the systemd module under the name Ansible gives
// it since 2.14 (ansible.builtin.systemd_service, with systemd as its
// alias): the same parameters, the same run.
type systemdServiceModule struct{ systemdModule }

func init() { Register(systemdServiceModule{}) }

func (systemdServiceModule) Spec() *Spec {
	s := systemdModule{}.Spec()
	s.Name = "systemd_service"
	s.Short = "The systemd module, under the name Ansible 2.14 gives it"
	s.Doc = "The same module as systemd, registered under the name Ansible 2.14 gives it.\n\n" + s.Doc
	s.Example = strings.Replace(s.Example, "\n  systemd:\n", "\n  systemd_service:\n", 1)
	return s
}
