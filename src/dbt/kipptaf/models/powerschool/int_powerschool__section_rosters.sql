{{ union_regions('powerschool', 'int_powerschool__section_rosters') }}
