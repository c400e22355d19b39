"""The deploy template as moto's CloudFormation can apply it.

moto has no provider for some resource types the template uses; this drops
those resources, replaces every reference to them by a placeholder string,
and prints JSON: {"template": <the rest>, "dropped": {<id>: <resource>}}.
The stack test applies the rest for real and checks the dropped resources'
properties itself.

    python template_subset.py infra/stratus.yaml
"""

import json
import re
import sys

from cfnlint.decode import decode_str

# What moto (5.x) cannot create from a template.
UNSUPPORTED = {
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::Function",
    "AWS::Lambda::Url",
    "AWS::SecretsManager::Secret",
    "AWS::KinesisFirehose::DeliveryStream",
}


def plain(node):
    """cfn-lint's nodes as plain JSON values."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def scrub(node, dropped):
    """Every Ref / GetAtt / Sub naming a dropped resource becomes a string."""
    if isinstance(node, dict):
        if len(node) == 1:
            (key, value), = node.items()
            if key == "Ref" and value in dropped:
                return f"moto-lacks-{value}"
            if key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else value.split(".")[0]
                if target in dropped:
                    return f"moto-lacks-{target}"
            if key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                if any(re.search(r"\$\{" + re.escape(d) + r"[.}]", text) for d in dropped):
                    return "moto-lacks-" + "-".join(
                        d for d in dropped if ("${" + d) in text
                    )
        return {k: scrub(v, dropped) for k, v in node.items()}
    if isinstance(node, list):
        return [scrub(v, dropped) for v in node]
    return node


def main(path):
    template, matches = decode_str(open(path, encoding="utf-8").read())
    if matches:
        sys.exit(f"{path} does not parse: {matches}")
    template = plain(template)
    resources = template["Resources"]
    dropped = {k: v for k, v in resources.items() if v["Type"] in UNSUPPORTED}
    for k in dropped:
        del resources[k]
    for resource in resources.values():
        depends = resource.get("DependsOn")
        if isinstance(depends, str) and depends in dropped:
            del resource["DependsOn"]
        elif isinstance(depends, list):
            resource["DependsOn"] = [d for d in depends if d not in dropped]
    template = scrub(template, set(dropped))
    print(json.dumps({"template": template, "dropped": dropped}))


if __name__ == "__main__":
    main(sys.argv[1])
