// Internal: the parsed tree of a Template (see template.h). Not for use
// outside common/template_*.cc.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/template_value.h"

namespace skald::common {

struct TemplatePipeline;

// One operand of a command.
struct TemplateArg {
  enum class Kind : uint8_t { kDot, kField, kVar, kLiteral, kFunc, kPipe };
  Kind kind = Kind::kLiteral;
  std::string name;                  // kVar: "$x"; kFunc: function name
  std::vector<std::string> fields;   // kField/kVar: trailing `.a.b`
  TemplateValue literal;             // kLiteral
  std::shared_ptr<TemplatePipeline> pipe;  // kPipe
};

struct TemplateCommand {
  std::vector<TemplateArg> args;
};

struct TemplatePipeline {
  std::vector<std::string> decl;  // `$x :=` / `$i, $v :=`
  bool assign = false;            // `$x = …` (assign to an existing variable)
  std::vector<TemplateCommand> cmds;
};

struct TemplateNode {
  enum class Kind : uint8_t { kList, kText, kAction, kIf, kWith, kRange, kBreak, kContinue };
  Kind kind = Kind::kList;
  std::string text;                      // kText
  std::shared_ptr<TemplatePipeline> pipe;  // kAction/kIf/kWith/kRange
  std::vector<std::unique_ptr<TemplateNode>> list;  // kList children
  std::unique_ptr<TemplateNode> then_list;  // kIf/kWith/kRange body
  std::unique_ptr<TemplateNode> else_list;  // may be null
};

}  // namespace skald::common
