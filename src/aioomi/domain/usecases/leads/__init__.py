"""Lead capture: an agent's form, the leads visitors leave, and what the owner does with them."""
