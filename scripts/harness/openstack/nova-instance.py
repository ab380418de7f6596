#!/usr/bin/python3
"""nova-instance.py - a Nova instance for a harness "VM", written with Nova's own objects.

The harness runs only Nova's metadata API: no nova-api (compute), conductor or nova-compute, so
nothing else would ever write an instance. This writes the rows those services write, through
nova.objects (no SQL of its own), into the databases nova-up.sh built with nova-manage:

  nova_api.flavors              Flavor.create()             (nova-api: `openstack flavor create`)
  nova.instances (+ instance_extra, instance_info_caches, instance_metadata, instance_system_metadata)
                                Instance.create() inside context.target_cell(cell1) (conductor, then
                                nova-compute's host/node/vm_state/power_state/launched_at)
  nova_api.instance_mappings    InstanceMapping.create()    (nova-api at boot; conductor's cell)
  instance_info_caches.network_info
                                neutron.API().get_instance_nw_info(force_refresh=True): Nova asks
                                Neutron for the ports whose device_id is the instance and whose
                                project is the instance's, as nova-compute's heal task does

The Neutron port (device_id = the instance) must exist first, as it does when nova-compute asks.
Run as user nova (test/openstack/nova.ts does), with the harness's nova.conf.

usage: nova-instance.py --config-file F ensure UUID --project P [--user U] [--name N] [--host H]
       nova-instance.py --config-file F delete UUID
       nova-instance.py --config-file F show UUID
Each prints the instance as JSON (mapping, project, network info) on stdout.
"""
import argparse
import json
import subprocess
import sys

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--config-file", required=True)
cmds = parser.add_subparsers(dest="cmd", required=True)
ensure_p = cmds.add_parser("ensure")
ensure_p.add_argument("uuid")
ensure_p.add_argument("--project", required=True)
ensure_p.add_argument("--user", default="qm-user")
ensure_p.add_argument("--name", default="qm-vm")
ensure_p.add_argument("--host", default="qm-ci-host")
for name in ("delete", "show"):
    cmds.add_parser(name).add_argument("uuid")
opts = parser.parse_args()

from oslo_utils import timeutils  # noqa: E402

from nova import config, context, exception, objects  # noqa: E402
from nova.compute import power_state, vm_states  # noqa: E402
from nova.network import model as net_model  # noqa: E402
from nova.network import neutron as nova_neutron  # noqa: E402

objects.register_all()
config.parse_args([sys.argv[0], "--config-file", opts.config_file])
admin = context.get_admin_context()
FLAVOR = "qm.tiny"


def cell1():
    cells = [c for c in objects.CellMappingList.get_all(admin) if c.name == "cell1"]
    if not cells:
        sys.exit("no cell named cell1: nova-up.sh builds it (nova-manage cell_v2 create_cell)")
    return cells[0]


def the_flavor():
    try:
        return objects.Flavor.get_by_name(admin, FLAVOR)
    except exception.FlavorNotFoundByName:
        flavor = objects.Flavor(admin, name=FLAVOR, flavorid="qm-tiny", memory_mb=64, vcpus=1, root_gb=1,
                                ephemeral_gb=0, swap=0, rxtx_factor=1.0, vcpu_weight=0, disabled=False,
                                is_public=True, extra_specs={}, description=None)
        flavor.create()
        return flavor


def find(uuid):
    """(mapping, instance), looked up as the metadata API does: API database, then the cell"""
    try:
        mapping = objects.InstanceMapping.get_by_instance_uuid(admin, uuid)
    except exception.InstanceMappingNotFound:
        return None, None
    if mapping.cell_mapping is None:
        return mapping, None
    with context.target_cell(admin, mapping.cell_mapping) as cctx:
        try:
            return mapping, objects.Instance.get_by_uuid(cctx, uuid, expected_attrs=["info_cache", "flavor"])
        except exception.InstanceNotFound:
            return mapping, None


def report(uuid):
    mapping, inst = find(uuid)
    out = {"uuid": uuid, "mapping": None, "instance": None}
    if mapping is not None:
        out["mapping"] = {"project_id": mapping.project_id,
                          "cell": mapping.cell_mapping.name if mapping.cell_mapping else None}
    if inst is not None:
        vifs = inst.info_cache.network_info if inst.info_cache else []
        out["instance"] = {
            "project_id": inst.project_id, "user_id": inst.user_id, "hostname": inst.hostname,
            "host": inst.host, "vm_state": inst.vm_state, "flavor": inst.flavor.name,
            "ports": [{"id": v["id"], "mac": v["address"],
                       "ips": [ip["address"] for s in v["network"]["subnets"] for ip in s["ips"]]}
                      for v in (vifs or [])]}
    print(json.dumps(out))


def ensure():
    cell, flavor = cell1(), the_flavor()
    mapping, inst = find(opts.uuid)
    if inst is None:
        now = timeutils.utcnow()
        with context.target_cell(admin, cell) as cctx:
            inst = objects.Instance(
                context=cctx, uuid=opts.uuid, project_id=opts.project, user_id=opts.user,
                display_name=opts.name, hostname=opts.name, display_description=opts.name,
                host=opts.host, node=opts.host, launched_on=opts.host, availability_zone="nova",
                vm_state=vm_states.ACTIVE, power_state=power_state.RUNNING, task_state=None,
                flavor=flavor, instance_type_id=flavor.id, memory_mb=flavor.memory_mb, vcpus=flavor.vcpus,
                root_gb=flavor.root_gb, ephemeral_gb=flavor.ephemeral_gb, image_ref="", kernel_id="",
                ramdisk_id="", config_drive="", key_name=None, key_data=None, user_data=None,
                reservation_id="r-qm00000", launch_index=0, locked=False, launched_at=now, scheduled_at=now,
                metadata={"quantum-meta": "harness"}, system_metadata={"image_base_image_ref": ""})
            # nova-api starts every instance with an empty network info cache
            inst.info_cache = objects.InstanceInfoCache(network_info=net_model.NetworkInfo(), instance_uuid=opts.uuid)
            inst.create()
    if mapping is None:
        objects.InstanceMapping(admin, instance_uuid=opts.uuid, cell_mapping=cell, project_id=opts.project,
                                user_id=opts.user, queued_for_delete=False).create()
    elif mapping.cell_mapping is None:
        mapping.cell_mapping = cell
        mapping.save()
    with context.target_cell(admin, cell) as cctx:
        inst = objects.Instance.get_by_uuid(cctx, opts.uuid, expected_attrs=["info_cache", "flavor"])
        nova_neutron.API().get_instance_nw_info(cctx, inst, force_refresh=True)


def delete():
    mapping, inst = find(opts.uuid)
    if inst is not None:
        with context.target_cell(admin, mapping.cell_mapping) as cctx:
            objects.Instance.get_by_uuid(cctx, opts.uuid).destroy()  # a soft delete, as nova-compute's
    if mapping is not None:
        mapping.destroy()
    # the soft-deleted rows out, as an operator's cron does, so the uuid can be made again
    subprocess.run(["nova-manage", "--config-file", opts.config_file, "db", "archive_deleted_rows", "--purge",
                    "--all-cells", "--until-complete"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)


if opts.cmd == "ensure":
    ensure()
elif opts.cmd == "delete":
    delete()
report(opts.uuid)
