package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"text/template"
)

// resource: one confd template resource ([template] of a conf.d/*.toml).
type resource struct {
	src, dest           string
	checkCmd, reloadCmd string
	mode                os.FileMode
	prefix              string
	keys                []string
	client              backend
}

// process: confd's TemplateResource.process (setVars, createStageFile,
// sync).
func (r *resource) process() error {
	vars, err := r.client.GetValues(r.keys)
	if err != nil {
		return err
	}
	tmpl, err := template.New(path.Base(r.src)).Funcs(newStore(vars, r.prefix).funcs()).ParseFiles(r.src)
	if err != nil {
		return fmt.Errorf("unable to process template %s, %v", r.src, err)
	}
	stage, err := os.CreateTemp(filepath.Dir(r.dest), "."+filepath.Base(r.dest))
	if err != nil {
		return err
	}
	defer os.Remove(stage.Name())
	err = tmpl.Execute(stage, nil)
	if cerr := stage.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(stage.Name(), r.mode)
	}
	if err != nil {
		return err
	}
	return r.sync(stage.Name())
}

// sync: confd's sync: nothing when the staged file equals dest; else
// check_cmd on the staged file, move it over dest, reload_cmd.
func (r *resource) sync(staged string) error {
	if !changed(staged, r.dest) {
		return nil
	}
	if r.checkCmd != "" {
		var cmd bytes.Buffer
		t, err := template.New("checkcmd").Parse(r.checkCmd)
		if err == nil {
			err = t.Execute(&cmd, map[string]string{"src": staged})
		}
		if err == nil {
			err = run(cmd.String())
		}
		if err != nil {
			return fmt.Errorf("config check failed: %v", err)
		}
	}
	if err := os.Rename(staged, r.dest); err != nil {
		return err
	}
	if r.reloadCmd != "" {
		if err := run(r.reloadCmd); err != nil {
			return fmt.Errorf("reload failed: %v", err)
		}
	}
	logf("target config %s has been updated", r.dest)
	return nil
}

// changed: confd's IsConfigChanged (content and mode; the stand-in runs as
// one user, so owner and group are the same).
func changed(staged, dest string) bool {
	d, err := os.ReadFile(dest)
	if err != nil {
		return true
	}
	s, err := os.ReadFile(staged)
	if err != nil || !bytes.Equal(s, d) {
		return true
	}
	si, err1 := os.Stat(staged)
	di, err2 := os.Stat(dest)
	return err1 != nil || err2 != nil || si.Mode() != di.Mode()
}

func run(cmd string) error {
	out, err := exec.Command("/bin/sh", "-c", cmd).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %q", cmd, err, out)
	}
	return nil
}
