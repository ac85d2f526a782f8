-- kipptaf's AutoComm students_iep file, this region's rows only.
select *
from {{ source('kipptaf_extracts', 'rpt_powerschool__autocomm_students_iep') }}
where code_location = '{{ var("code_location") }}'
